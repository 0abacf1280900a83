//! duet-test-support (being built)
