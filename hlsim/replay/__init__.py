"""Market data replay into hlsim: recorded files and Nautilus catalogs."""
