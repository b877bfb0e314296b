set terminal pngcairo size 900,520 font 'sans,10'
set grid
set key top left
