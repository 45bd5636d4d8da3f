//! The running transfer's job, driven inside the session's own task rather than spawned.
//!
//! A spawned job and its session woke each other for every preliminary and final reply,
//! often across the runtime's worker threads; measured on small STORs this hand-off was a
//! large part of the scheduling cost per file. Here the session's loop polls the job
//! alongside its control connection, and every other wait of the session (writing a reply,
//! running NOOP/STAT/ABOR) polls it too, so the transfer never pauses behind the control
//! side. The job still reports over its channel, exactly as a spawned one did; the session
//! reads it without ever being woken by it (see [`next_report`]).

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use futures::FutureExt as _;
use tokio::sync::mpsc;

use crate::transfer::TransferEvent;

/// A transfer job in progress.
pub(super) type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Boxes `job`; a panic inside it ends the job only (its channel closes without a final
/// word, which the session answers), as it did when the job was a task of its own.
pub(super) fn job(job: impl Future<Output = ()> + Send + 'static) -> Job {
    Box::pin(std::panic::AssertUnwindSafe(job).catch_unwind().map(|r| {
        if r.is_err() {
            tracing::error!("transfer job panicked: ended it; the session goes on");
        }
    }))
}

/// The job's next report, driving the job until it makes one. The channel is only ever
/// read with `try_recv`, so the job's reports never wake this task (a task woken while it
/// runs is queued behind others, where the runtime's other worker thread may be woken to
/// take it): the report is picked up right after the poll of the job that made it.
/// `None`: the job ended without a final word (it panicked).
pub(super) fn next_report<'a>(
    job: &'a mut Option<Job>,
    events: &'a mut mpsc::Receiver<TransferEvent>,
) -> impl Future<Output = Option<TransferEvent>> + 'a {
    std::future::poll_fn(move |cx| {
        if let Ok(ev) = events.try_recv() {
            return Poll::Ready(Some(ev));
        }
        if let Some(j) = job {
            if j.as_mut().poll(cx).is_ready() {
                *job = None;
            }
        }
        match events.try_recv() {
            Ok(ev) => Poll::Ready(Some(ev)),
            // An ended job has dropped its sender: what it said has been read.
            Err(_) if job.is_none() => Poll::Ready(None),
            Err(_) => Poll::Pending,
        }
    })
}

/// Runs `work` while the job, if any, keeps running beside it.
pub(super) async fn alongside<T>(job: &mut Option<Job>, work: impl Future<Output = T>) -> T {
    tokio::pin!(work);
    loop {
        let Some(j) = job else {
            return work.await;
        };
        tokio::select! {
            biased;
            r = &mut work => return r,
            _ = j.as_mut() => *job = None,
        }
    }
}
