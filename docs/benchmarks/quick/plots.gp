set terminal pngcairo size 900,520 font 'sans,10'
set grid
set key top left
set output 'idle.png'
set title 'Rookery ladder (quick run): idle connections (server on one core)'
set xlabel 'connections held (connected at the start of the measured window)'
set ylabel 'server RSS (MiB)'
set y2label 'server CPU (% of one core)'
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
plot 'idle.dat' using 1:2 with linespoints lw 2 title 'RSS (MiB), default settings', 'idle.dat' using 1:4 axes x1y2 with linespoints dt 2 title 'CPU %, default settings', 'idle-spelltraction-tick-hz-1.dat' using 1:2 with linespoints lw 2 title 'RSS (MiB), --spelltraction-tick-hz 1', 'idle-spelltraction-tick-hz-1.dat' using 1:4 axes x1y2 with linespoints dt 2 title 'CPU %, --spelltraction-tick-hz 1'
set output 'action.png'
set title 'Rookery ladder (quick run): action scenario (rooms of 100, 10 Hz in, 20 Hz out)'
set xlabel 'clients'
set ylabel 'CPU (% of one core)'
set y2label 'input-to-state latency p99 (ms)'
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
plot 'action.dat' using 1:2 with linespoints lw 2 title 'server CPU %', '' using 1:4 with linespoints title 'server system CPU %', '' using 1:8 with linespoints dt 2 title 'generator CPU %', '' using 1:6 axes x1y2 with linespoints lw 2 title 'p99 latency (ms)', 60.0 axes x1y2 with lines dt 3 lw 2 lc rgb 'red' title '60 ms target'
