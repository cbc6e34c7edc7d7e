# Plot a `vmsim run --timeline FILE.csv` file:
#   gnuplot -e "in='timeline.csv'; out='timeline.png'" docs/timeline.gp
# Columns are looked up by name, so any scenario works; `zone` picks the
# zone to draw (default node 0's DMA32).
if (!exists("in")) in = 'timeline.csv'
if (!exists("out")) out = 'timeline.png'
if (!exists("zone")) zone = '0_DMA32'
set datafile separator ','
set terminal pngcairo size 1000,700 font ',10' noenhanced
set output out
set multiplot layout 2,1
set xlabel 'simulated time (s)'
set ylabel 'pages'
set key outside right
set title 'free pages and watermarks, zone '.zone
set logscale y
plot in using ($1/1e9):(column('free_'.zone)) with lines lw 1 title 'free', \
     '' using ($1/1e9):(column('min_'.zone)) with lines dt 2 title 'min', \
     '' using ($1/1e9):(column('low_'.zone)) with lines dt 3 title 'low', \
     '' using ($1/1e9):(column('high_'.zone)) with lines dt 4 title 'high'
set title 'reclaim rates'
unset logscale y
set ylabel 'pages / simulated s'
plot in using ($1/1e9):(column('pgscan_kswapd_per_s')) with lines title 'pgscan kswapd', \
     '' using ($1/1e9):(column('pgscan_direct_per_s')) with lines title 'pgscan direct', \
     '' using ($1/1e9):(column('pswpout_per_s')) with lines title 'pswpout', \
     '' using ($1/1e9):(column('pgmajfault_per_s')) with lines title 'major faults'
unset multiplot
