//! duet-exec (being built)
