//! Work that holds a thread (scoring a page of posts, SQLite calls on a
//! connection's own handle) run from async code without holding up the
//! runtime's other tasks.
//!
//! Owns: [`hold_thread`]. On a multi-threaded runtime the worker first
//! hands its queued tasks to another thread (`block_in_place`), so a task
//! woken meanwhile (a commit waiting for the writer, a Slack delivery)
//! runs on that thread, and the operating system shares the cores between
//! them, instead of waiting for the long poll to end. On a
//! single-threaded runtime (tests, one-shot CLI commands) it runs in
//! place. Measured in BENCHMARKS.md ("Sixth pass").

/// Runs `work` on this thread, its queued tasks handed to another worker
/// first when the runtime has others.
pub fn hold_thread<T>(work: impl FnOnce() -> T) -> T {
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi_thread {
        tokio::task::block_in_place(work)
    } else {
        work()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_outside_a_runtime() {
        assert_eq!(hold_thread(|| 2 + 2), 4);
    }

    #[tokio::test]
    async fn runs_in_place_on_a_single_threaded_runtime() {
        let here = std::thread::current().id();
        assert_eq!(hold_thread(|| std::thread::current().id()), here);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn other_tasks_go_on_while_a_worker_is_held() {
        // Held until a task spawned on the runtime has run: with the held
        // worker's queue handed over, it runs on another thread.
        let (tx, rx) = std::sync::mpsc::channel();
        let ran = tokio::spawn(async move { tx.send(()).unwrap() });
        hold_thread(|| rx.recv_timeout(std::time::Duration::from_secs(30)).expect("the other task ran"));
        ran.await.unwrap();
    }
}
