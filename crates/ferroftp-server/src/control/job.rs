//! The running transfer's job, driven inside the session's own task while it is short.
//!
//! A spawned job and its session woke each other for every preliminary and final reply,
//! often across the runtime's worker threads; measured on small STORs this hand-off was a
//! large part of the scheduling cost per file. Here the session's loop polls the job
//! alongside its control connection, and every other wait of the session (writing a reply,
//! running NOOP/STAT/ABOR) polls it too, so the transfer never pauses behind the control
//! side. The job still reports over its channel, exactly as a spawned one did; the session
//! reads it without being woken by it (see [`next_report`]).
//!
//! A job still running after [`IN_PLACE_POLLS`] polls is a long transfer: it moves to a
//! task of its own, as every job used to run. It gains nothing from sharing the session's
//! task (its few reports are nothing beside its wake-ups), and there each of its wake-ups
//! would poll the session's other branches too.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::FutureExt as _;
use tokio::sync::mpsc;

use crate::transfer::TransferEvent;

/// How many polls a job gets in the session's task before it moves to a task of its own.
/// A small STOR or RETR takes a handful (open, connection, a read or two, the end).
const IN_PLACE_POLLS: u32 = 32;

/// A transfer job in progress, driven by the session.
pub(super) struct Job {
    future: Pin<Box<dyn Future<Output = ()> + Send>>,
    polls: u32,
}

impl Job {
    /// Boxes `job`; a panic inside it ends the job only (its channel closes without a
    /// final word, which the session answers), as it did when the job was a task of its
    /// own.
    pub(super) fn new(job: impl Future<Output = ()> + Send + 'static) -> Job {
        let future = std::panic::AssertUnwindSafe(job).catch_unwind().map(|r| {
            if r.is_err() {
                tracing::error!("transfer job panicked: ended it; the session goes on");
            }
        });
        Job {
            future: Box::pin(future),
            polls: 0,
        }
    }

    /// Runs the job to its end, wherever it was.
    pub(super) async fn finish(self) {
        self.future.await
    }
}

/// Polls the job held in place, if any: clears `job` once it has ended, or once it has
/// moved to a task of its own for being long.
fn poll_job(job: &mut Option<Job>, cx: &mut Context<'_>) {
    let Some(j) = job else {
        return;
    };
    if j.future.as_mut().poll(cx).is_ready() {
        *job = None;
        return;
    }
    j.polls += 1;
    if j.polls >= IN_PLACE_POLLS {
        if let Some(j) = job.take() {
            tokio::spawn(j.future);
        }
    }
}

/// The job's next report, driving the job until it makes one. While the job runs here the
/// channel is read with `try_recv` only, so the job's reports never wake this task (a task
/// woken while it runs is queued behind others, where the runtime's other worker thread
/// may be woken to take it): the report is picked up right after the poll of the job that
/// made it. Once the job has ended or moved to its own task, the channel is awaited as
/// usual. `None`: the job ended without a final word (it panicked).
pub(super) fn next_report<'a>(
    job: &'a mut Option<Job>,
    events: &'a mut mpsc::Receiver<TransferEvent>,
) -> impl Future<Output = Option<TransferEvent>> + 'a {
    std::future::poll_fn(move |cx| {
        if job.is_some() {
            if let Ok(ev) = events.try_recv() {
                return Poll::Ready(Some(ev));
            }
            poll_job(job, cx);
            if job.is_some() {
                return match events.try_recv() {
                    Ok(ev) => Poll::Ready(Some(ev)),
                    Err(_) => Poll::Pending,
                };
            }
        }
        events.poll_recv(cx)
    })
}

/// Runs `work` while the job held in place, if any, keeps running beside it.
pub(super) async fn alongside<T>(job: &mut Option<Job>, work: impl Future<Output = T>) -> T {
    tokio::pin!(work);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(r) = work.as_mut().poll(cx) {
            return Poll::Ready(r);
        }
        poll_job(job, cx);
        Poll::Pending
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferroftp_proto::catalogue::Msg;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tokio::sync::oneshot;

    /// A waker that counts its wake-ups.
    struct Count(AtomicUsize);

    impl futures::task::ArcWake for Count {
        fn wake_by_ref(me: &Arc<Self>) {
            me.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    // Guards the in-place job (perf issue, small STORs): the job's reports are read
    // without waking the session's task (a self-wake requeued the task where the other
    // worker thread was woken to take it). Only what the job waits for wakes the task.
    #[tokio::test]
    async fn reports_of_a_job_in_place_do_not_wake_the_session() {
        let (tx, mut rx) = mpsc::channel(4);
        let (go, gate) = oneshot::channel::<()>();
        let mut job = Some(Job::new(async move {
            let _ = gate.await;
            let _ = tx.send(TransferEvent::Started(Msg::PortOk.reply())).await;
            let _ = tx.send(TransferEvent::Finished(Msg::PortOk.reply())).await;
        }));
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = futures::task::waker(count.clone());
        let mut cx = Context::from_waker(&waker);
        {
            let report = next_report(&mut job, &mut rx);
            tokio::pin!(report);
            assert!(report.as_mut().poll(&mut cx).is_pending());
            let _ = go.send(());
            // The job's gate woke the task: that one wake-up is the job's own.
            assert_eq!(count.0.load(Ordering::SeqCst), 1);
            assert!(matches!(
                report.as_mut().poll(&mut cx),
                Poll::Ready(Some(TransferEvent::Started(_)))
            ));
            assert_eq!(count.0.load(Ordering::SeqCst), 1);
        }
        // The rest was said in the same poll, and the job has ended.
        assert!(matches!(
            next_report(&mut job, &mut rx).await,
            Some(TransferEvent::Finished(_))
        ));
        assert!(job.is_none());
        assert!(next_report(&mut job, &mut rx).await.is_none());
    }

    // Guards the move of long jobs to a task of their own: a job still running after
    // IN_PLACE_POLLS polls goes on in another task, and its reports still arrive.
    #[tokio::test]
    async fn a_long_job_moves_to_its_own_task() {
        let session = tokio::task::try_id();
        let (tx, mut rx) = mpsc::channel(4);
        let (ran_in, ran_in_rx) = oneshot::channel();
        let mut job = Some(Job::new(async move {
            for _ in 0..2 * IN_PLACE_POLLS {
                tokio::task::yield_now().await;
            }
            let _ = ran_in.send(tokio::task::try_id());
            let _ = tx.send(TransferEvent::Finished(Msg::PortOk.reply())).await;
        }));
        assert!(matches!(
            next_report(&mut job, &mut rx).await,
            Some(TransferEvent::Finished(_))
        ));
        assert!(job.is_none());
        let ran_in = ran_in_rx.await.unwrap();
        assert!(ran_in.is_some());
        assert_ne!(ran_in, session);
    }
}
