//! A few dedicated threads for password hashing, one per hashing slot.
//!
//! argon2 needs ~19 MB per hash. On tokio's blocking pool successive hashes land on many different
//! threads, and the allocator keeps freed buffers per thread: 40 logins, even run four at a time, took
//! the process to 400+ MB. A fixed set of threads, each reusing one buffer
//! ([`crate::users::keep_hash_memory_on_this_thread`]), bounds the memory to slots × 19 MB.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

/// Runs jobs on `threads` dedicated threads; the threads end when the pool is dropped.
#[derive(Debug)]
pub struct HashPool {
    jobs: mpsc::Sender<Job>,
}

/// The pool's threads are gone (none could be started).
#[derive(Debug, thiserror::Error)]
#[error("no password hashing thread is running")]
pub struct PoolGone;

impl HashPool {
    /// Starts `threads` (at least one) hashing threads.
    pub fn new(threads: usize) -> HashPool {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            let spawned = std::thread::Builder::new()
                .name(format!("hepscope-hash-{n}"))
                .spawn(move || loop {
                    crate::users::keep_hash_memory_on_this_thread();
                    let next = queue
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .recv();
                    match next {
                        // A panicking job must not take its thread along.
                        Ok(job) => drop(std::panic::catch_unwind(AssertUnwindSafe(job))),
                        Err(_) => return,
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        HashPool { jobs }
    }

    /// Runs `work` on a pool thread and waits for its result.
    ///
    /// # Errors
    /// No pool thread is running, or `work` panicked.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PoolGone> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(work());
        });
        self.jobs.send(job).map_err(|_| PoolGone)?;
        rx.await.map_err(|_| PoolGone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_on_its_threads_and_survives_a_panic() {
        let pool = HashPool::new(2);
        let name = pool
            .run(|| std::thread::current().name().map(str::to_string))
            .await
            .unwrap();
        assert!(name.unwrap().starts_with("hepscope-hash-"));
        assert!(pool.run(|| panic!("boom")).await.is_err());
        assert_eq!(pool.run(|| 7).await.unwrap(), 7);
        assert_eq!(pool.run(|| 8).await.unwrap(), 8);
    }
}
