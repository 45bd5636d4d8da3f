//! # ferroftp-server
//!
//! The tokio side of ferroftp: it accepts control connections, runs each session's control
//! loop around the sans-I/O state machine of [`ferroftp_proto::session`], opens data
//! channels, and reaches files through a [`storage::Storage`] backend.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod auth;
pub mod config;
pub mod storage;
pub mod users_file;

pub use auth::{Account, AuthError, Authenticator, UserLimits};
pub use config::{AnonymousConfig, LoginLimits, ServerConfig, TlsOptions};
pub mod control;
pub mod credcache;
pub mod data;
pub mod dropbox;
pub mod errors;
pub mod guard;
pub mod limits;
mod net;
pub mod paths;
pub mod quota;
pub mod sendfile;
pub mod server;
pub mod splice;
pub mod stall;
pub mod stream;
pub mod throttle;
pub mod tls;
pub mod transfer;
pub mod transfers;
mod truncation;

pub use server::{IncomingStream, Server};
pub use stream::ControlStream;
