"""Reviews, Qt-free: rubrics, conflicts of interest, reviewer assignment, score calibration and the
funding line. The desktop and the command line call these; the heavy parts run as compute jobs."""
