//! Helpers for the black-box tests: see `tests/`.
