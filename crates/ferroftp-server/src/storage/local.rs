//! Local filesystem storage.
