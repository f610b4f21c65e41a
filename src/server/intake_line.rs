//! New orders are placed one after another by one thread of their own, not each from a
//! blocking thread of its own. With 48 storefront connections posting at once, the writer
//! was handed from thread to thread for every order: a futex wake and a context switch
//! while the file's only writer stood idle. The line's thread takes every order waiting,
//! places them back to back in one group, and only then commits that group once and makes
//! it durable; each order is answered after that, as before.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;

use crate::store::{LaterCommits, Store, StoreError};

use super::ApiError;

/// Orders placed before the line stops to commit them: as many as the writer lets one
/// group hold while someone waits on it.
const MOST_AT_ONCE: usize = 128;

/// An order to place; what it gives back answers its request once its commit is durable.
type Job = Box<dyn FnOnce(&Store) -> Answer + Send>;
type Answer = Box<dyn FnOnce(&Store) + Send>;

/// The way in; the thread ends when the last handle is dropped.
#[derive(Clone)]
pub(super) struct IntakeLine {
    jobs: mpsc::Sender<Job>,
}

impl IntakeLine {
    pub(super) fn start(store: Store) -> IntakeLine {
        let (jobs, waiting) = mpsc::channel::<Job>();
        let started = std::thread::Builder::new()
            .name("order-intake".into())
            .spawn(move || work(&store, &waiting));
        if let Err(e) = started {
            // Each order then finds the line closed and says so; nothing is taken.
            tracing::error!(error = %e, "the order intake thread could not start");
        }
        IntakeLine { jobs }
    }

    /// Puts `place` on the line at once; it runs on the line's thread, and what this gives
    /// back is its answer once what it wrote is on disk, or the error that undid it.
    pub(super) fn place<T, F>(
        &self,
        place: F,
    ) -> impl Future<Output = Result<T, ApiError>> + use<T, F>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |store| {
            let later = LaterCommits::default();
            let placed = store.committing_later(&later, place);
            Box::new(move |store| {
                let kept = placed.and_then(|value| store.wait_for_commits(&later).map(|()| value));
                let _ = answer.send(kept);
            })
        });
        let queued = self.jobs.send(job);
        async move {
            queued.map_err(|_| ApiError::Internal("the order intake has stopped".into()))?;
            answered
                .await
                .map_err(|_| ApiError::Internal("the order intake failed on this order".into()))?
                .map_err(ApiError::from)
        }
    }
}

fn work(store: &Store, waiting: &mpsc::Receiver<Job>) {
    while let Ok(first) = waiting.recv() {
        let mut placed: Vec<Answer> = Vec::with_capacity(MOST_AT_ONCE);
        let mut next = Some(first);
        while let Some(job) = next.take() {
            // A panic is that order's alone: its request hears it failed (its answer is
            // dropped), the writer has undone its group, and the line goes on.
            match std::panic::catch_unwind(AssertUnwindSafe(|| job(store))) {
                Ok(answer) => placed.push(answer),
                Err(_) => tracing::error!("placing an order panicked; its group was undone"),
            }
            if placed.len() < MOST_AT_ONCE {
                next = waiting.try_recv().ok();
            }
        }
        // The first answer commits the group and waits for the disk; the rest share it.
        for answer in placed {
            if std::panic::catch_unwind(AssertUnwindSafe(|| answer(store))).is_err() {
                tracing::error!("answering an order panicked");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed_sign_ins(store: &Store) -> usize {
        store
            .audit_entries(None, 1000)
            .expect("audit")
            .iter()
            .filter(|e| e.action == "auth.login_failed")
            .count()
    }

    /// Holds the line's thread until `open` is sent, so what is placed meanwhile waits.
    fn gate(line: &IntakeLine) -> (std::sync::mpsc::Sender<()>, impl Future<Output = ()>) {
        let (open, opened) = std::sync::mpsc::channel::<()>();
        let held = line.place(move |_| {
            let _ = opened.recv();
            Ok(())
        });
        (open, async move { held.await.expect("the gate") })
    }

    #[tokio::test]
    async fn orders_waiting_on_the_line_share_one_commit_and_a_panic_is_its_own_alone() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(&dir.path().join("shop.db")).expect("store");
        let line = IntakeLine::start(store.clone());
        let now = jiff::Timestamp::now();
        let before = failed_sign_ins(&store);

        let (open, held) = gate(&line);
        let placed: Vec<_> = (0..20)
            .map(|i| {
                line.place(move |s| {
                    s.record_failed_login(&format!("u{i}"), "test", "127.0.0.1", now)
                })
            })
            .collect();
        let commits = store.commits();
        open.send(()).expect("open the gate");
        held.await;
        for answer in placed {
            answer.await.expect("placed and on disk");
        }
        assert_eq!(store.commits(), commits + 1, "the twenty in one commit");
        assert_eq!(failed_sign_ins(&store), before + 20);

        // One that panics fails alone: the one queued after it is placed, and the line goes
        // on.
        let (open, held) = gate(&line);
        let panics = line.place(|_| -> Result<(), StoreError> { panic!("a bug") });
        let after = line.place(move |s| s.record_failed_login("after", "test", "127.0.0.1", now));
        open.send(()).expect("open the gate");
        held.await;
        assert!(matches!(panics.await, Err(ApiError::Internal(_))));
        after.await.expect("placed after the panic");
        let refused = line
            .place(|_| -> Result<(), StoreError> {
                Err(StoreError::NotFound("no such order".into()))
            })
            .await;
        assert!(
            matches!(refused, Err(ApiError::Store(StoreError::NotFound(_)))),
            "{refused:?}"
        );
        line.place(move |s| s.record_failed_login("last", "test", "127.0.0.1", now))
            .await
            .expect("the line still places");
        assert_eq!(failed_sign_ins(&store), before + 22);
    }
}
