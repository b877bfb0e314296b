set terminal pngcairo size 900,520 font 'sans,10'
set grid
set key top left
set output 'idle.png'
set title 'Rookery ladder (full run): idle connections (server on one core)'
set xlabel 'connections held (connected at the start of the measured window)'
set ylabel 'server RSS (MiB)'
set y2label 'server CPU (% of one core)'
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
plot 'idle.dat' using 1:2 with linespoints lw 2 title 'RSS (MiB), default settings', 'idle.dat' using 1:4 axes x1y2 with linespoints dt 2 title 'CPU %, default settings'
