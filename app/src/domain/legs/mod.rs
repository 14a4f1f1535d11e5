//! Leg correlation (in progress).
