# style.gp - the one style of every hhsim figure (gnuplot 5.4, cairo terminals).
# hhfit embeds this file verbatim at the top of each results/NAME/*.gp script,
# so a script never loads it at run time; edit it here and rerun hhfit.
#
# Defines:
#   hh_term(ext)   terminal command for "png" (pngcairo, hh_w x hh_h pixels) or
#                  "pdf" (pdfcairo, same aspect at 100 px per inch)
#   line types 1-8 one per model scale, smallest first (Okabe-Ito colours,
#                  colour-blind safe, each with its own point type)
#   line type 9    fits and ideal curves (black); 10 chance / ceilings (grey, dashed)
hh_w = 1200
hh_h = 800
hh_font = "DejaVu Sans"
hh_term(ext) = (ext eq "png") \
  ? sprintf("set terminal pngcairo enhanced color rounded size %d,%d font '%s,13' linewidth 1.6", hh_w, hh_h, hh_font) \
  : sprintf("set terminal pdfcairo enhanced color rounded size %.2fin,%.2fin font '%s,10' linewidth 1.2", hh_w / 100.0, hh_h / 100.0, hh_font)

set encoding utf8
set linetype 1 lc rgb "#0072B2" lw 2 pt 7  ps 1.2 dt solid
set linetype 2 lc rgb "#D55E00" lw 2 pt 5  ps 1.2 dt solid
set linetype 3 lc rgb "#009E73" lw 2 pt 9  ps 1.4 dt solid
set linetype 4 lc rgb "#CC79A7" lw 2 pt 11 ps 1.4 dt solid
set linetype 5 lc rgb "#E69F00" lw 2 pt 13 ps 1.3 dt solid
set linetype 6 lc rgb "#56B4E9" lw 2 pt 15 ps 1.3 dt solid
set linetype 7 lc rgb "#000000" lw 2 pt 4  ps 1.2 dt solid
set linetype 8 lc rgb "#F0E442" lw 2 pt 6  ps 1.2 dt solid
set linetype 9 lc rgb "#000000" lw 1.5 pt 0 dt solid
set linetype 10 lc rgb "#888888" lw 1.5 pt 0 dt (8,6)
set linetype cycle 8

set border 3 lw 1.2
set tics nomirror out scale 0.7
set grid xtics ytics mxtics lc rgb "#e4e4e4" lw 1 dt solid
set key top left Left reverse noautotitle samplen 2.5 spacing 1.15 box lc rgb "#cccccc" opaque
set style fill transparent solid 0.15 noborder
set errorbars small
set bars 1.5
set datafile missing "NaN"
set minussign
set samples 400   # fits drawn only over the data range (NaN outside) end close to it
