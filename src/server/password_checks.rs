//! Password checks on a pool of their own: as many threads as cores, a short queue, and
//! beyond it a refusal. Each Argon2id check takes 19 MiB and a core for tens of
//! milliseconds; on the runtime's blocking threads a flood of them fanned out to hundreds
//! of threads and their allocator arenas, which kept gigabytes after the flood.
//!
//! Each worker hashes in memory mapped for it alone and unmaps it once no check has come
//! for a moment, so the memory goes back to the system whatever the allocator would keep.

use std::collections::VecDeque;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use argon2::Block;

use crate::domain::user::verify_password_in;

/// A worker gives its memory back after this long without a check.
const KEEP_MEMORY: Duration = Duration::from_secs(2);

/// The queue is full: try again shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many sign-ins are being checked at once")]
pub struct Overloaded;

struct Check {
    password: String,
    phc: Arc<str>,
    answer: tokio::sync::oneshot::Sender<bool>,
}

pub struct PasswordChecks {
    queue: Arc<Queue>,
}

/// Checks waiting for a worker. Workers wait on `arrived` each with a timeout of its own,
/// so each gives its memory back on its own once checks stop coming.
struct Queue {
    waiting: Mutex<Waiting>,
    arrived: Condvar,
    most_waiting: usize,
    done: AtomicU64,
}

#[derive(Default)]
struct Waiting {
    checks: VecDeque<Check>,
    /// Set when the server's state is gone: the workers end.
    closed: bool,
}

impl PasswordChecks {
    /// `workers` threads check at once; at most `waiting` more wait their turn.
    pub fn start(workers: usize, waiting: usize) -> PasswordChecks {
        let queue = Arc::new(Queue {
            waiting: Mutex::default(),
            arrived: Condvar::new(),
            most_waiting: waiting,
            done: AtomicU64::new(0),
        });
        for n in 0..workers.max(1) {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-check-{n}"))
                .spawn(move || work(&queue));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "a password-check thread could not start");
            }
        }
        PasswordChecks { queue }
    }

    /// Whether `password` matches the PHC string `phc`; `Overloaded` when the queue is full.
    pub async fn verify(&self, password: String, phc: Arc<str>) -> Result<bool, Overloaded> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        {
            let mut waiting = self.queue.lock();
            if waiting.checks.len() >= self.queue.most_waiting {
                return Err(Overloaded);
            }
            waiting.checks.push_back(Check {
                password,
                phc,
                answer,
            });
        }
        self.queue.arrived.notify_one();
        answered.await.map_err(|_| Overloaded)
    }

    /// Checks finished so far (a test reads it to know that none was made).
    pub fn checks_done(&self) -> u64 {
        self.queue.done.load(Ordering::Relaxed)
    }
}

impl Drop for PasswordChecks {
    fn drop(&mut self) {
        self.queue.lock().closed = true;
        self.queue.arrived.notify_all();
    }
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn work(queue: &Queue) {
    let mut memory: Option<Memory> = None;
    loop {
        let mut waiting = queue.lock();
        let check = loop {
            if waiting.closed {
                return;
            }
            if let Some(check) = waiting.checks.pop_front() {
                break Some(check);
            }
            let (again, wait) = queue
                .arrived
                .wait_timeout(waiting, KEEP_MEMORY)
                .unwrap_or_else(|p| p.into_inner());
            waiting = again;
            if wait.timed_out() && waiting.checks.is_empty() {
                break None;
            }
        };
        drop(waiting);
        match check {
            Some(check) => {
                let ok = verify(&check.password, &check.phc, &mut memory);
                queue.done.fetch_add(1, Ordering::Relaxed);
                // The caller may have gone (its client hung up); nothing to tell then.
                let _ = check.answer.send(ok);
            }
            None => memory = None,
        }
    }
}

/// A password check in `memory`, mapped here if it is missing or too small.
fn verify(password: &str, phc: &str, memory: &mut Option<Memory>) -> bool {
    verify_password_in(password, phc, |blocks| {
        if memory.as_ref().is_none_or(|m| m.len < blocks) {
            *memory = None;
            match Memory::map(blocks) {
                Ok(m) => *memory = Some(m),
                Err(e) => tracing::error!(error = %e, "no memory for a password check"),
            }
        }
        memory.as_mut().map(Memory::blocks)
    })
}

/// Argon2's working memory in pages mapped for it alone, unmapped when dropped.
struct Memory {
    start: NonNull<Block>,
    len: usize,
}

// The mapping belongs to the one worker thread that holds it.
unsafe impl Send for Memory {}

impl Memory {
    fn map(len: usize) -> std::io::Result<Memory> {
        let bytes = len
            .checked_mul(size_of::<Block>())
            .ok_or_else(|| std::io::Error::other("argon2 memory size overflows"))?;
        use rustix::mm::{MapFlags, ProtFlags, mmap_anonymous};
        // SAFETY: a new private anonymous mapping at an address the kernel picks; it
        // aliases no memory of ours.
        let start = unsafe {
            mmap_anonymous(
                std::ptr::null_mut(),
                bytes,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::PRIVATE,
            )
        }?;
        let start = NonNull::new(start.cast::<Block>())
            .ok_or_else(|| std::io::Error::other("mmap returned null"))?;
        Ok(Memory { start, len })
    }

    fn blocks(&mut self) -> &mut [Block] {
        // SAFETY: the mapping holds `len` blocks, page-aligned (more than a block's 64),
        // zero-filled by the kernel (all-zero words are a valid block), and only this
        // `&mut self` reaches it.
        unsafe { std::slice::from_raw_parts_mut(self.start.as_ptr(), self.len) }
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `map`; no slice of it outlives `self`.
        let unmapped = unsafe {
            rustix::mm::munmap(self.start.as_ptr().cast(), self.len * size_of::<Block>())
        };
        if let Err(e) = unmapped {
            tracing::error!(error = %e, "argon2 memory could not be unmapped");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user::hash_password;

    #[test]
    fn checks_as_argon2_does_in_memory_of_its_own() {
        let phc = hash_password("correct horse battery", &[9; 16]).expect("hash");
        let mut memory = None;
        assert!(verify("correct horse battery", &phc, &mut memory));
        assert!(memory.is_some(), "mapped once");
        assert!(!verify("correct horse batterx", &phc, &mut memory));
        assert!(!verify("correct horse battery", "not a hash", &mut memory));
        assert!(!verify(&"x".repeat(2000), &phc, &mut memory));
    }

    #[tokio::test]
    async fn a_full_queue_is_refused_not_waited_for() {
        let phc: Arc<str> = hash_password("correct horse battery", &[9; 16])
            .expect("hash")
            .into();
        let checks = Arc::new(PasswordChecks::start(1, 2));
        let mut asked = Vec::new();
        for _ in 0..12 {
            let (checks, phc) = (checks.clone(), phc.clone());
            asked.push(tokio::spawn(async move {
                checks.verify("correct horse battery".into(), phc).await
            }));
        }
        let mut answers = Vec::new();
        for a in asked {
            answers.push(a.await.expect("task"));
        }
        let refused = answers.iter().filter(|a| a.is_err()).count();
        assert!(refused >= 9, "one checking, two waiting: {answers:?}");
        assert!(answers.contains(&Ok(true)));
        assert_eq!(checks.checks_done(), 12 - refused as u64);
    }
}
