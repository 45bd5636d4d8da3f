//! # ferroftp-proto
//!
//! The sans-I/O core of ferroftp: no sockets, no async runtime, no file system. It parses
//! command lines ([`parser`]), formats replies ([`reply`]), knows every reply code
//! ([`catalogue`]) and holds the session state machine ([`session`]) that decides, for each
//! command and the state it arrives in, which reply to send or which action the I/O layer
//! must carry out. All sequencing rules of RFC 959, 2228, 2389, 2428, 3659, 4217 and 7151
//! live in [`session`], in one table.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod args;
pub mod ascii;
pub mod capabilities;
pub mod catalogue;
pub mod command;
pub mod listing;
pub mod parser;
pub mod path;
pub mod perms;
pub mod reply;
pub mod session;

pub use command::{Command, Verb};
pub use path::VPath;
pub use reply::Reply;
