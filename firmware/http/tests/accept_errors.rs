//! Out of file descriptors, `accept` fails with EMFILE while the connection waits in the
//! kernel's queue; the accept loop must pause and log (rate-limited), not spin, and serve the
//! connection once descriptors are free. Alone in its test binary: it lowers the process's
//! open-files limit.

mod common;

use std::time::{Duration, Instant};

use common::{get, read_reply, start, within, Log};
use rlimit::Resource;
use ruji_http::Limits;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// CPU time this thread has used (the test's current-thread runtime runs the server's tasks on
/// it), if the kernel tells.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(
        s.split_whitespace().next()?.parse().ok()?,
    ))
}

fn open_fds() -> u64 {
    std::fs::read_dir("/proc/self/fd").unwrap().count() as u64
}

#[tokio::test]
async fn out_of_file_descriptors_the_server_pauses_then_serves_again() {
    let (log, _guard) = Log::capture();
    let srv = start(Limits::default(), None).await;
    // The server is up and serving.
    let mut c = TcpStream::connect(srv.addr).await.unwrap();
    assert_eq!(
        within("served", get(&mut c, "/")).await.unwrap().status,
        200
    );
    drop(c);

    let (soft, hard) = rlimit::getrlimit(Resource::NOFILE).unwrap();
    let (cpu0, t0) = (thread_cpu(), Instant::now());
    rlimit::setrlimit(Resource::NOFILE, open_fds() + 8, hard).unwrap();
    // Use up every descriptor, free one, and connect with it: the server's accept then has no
    // descriptor for the connection, which waits in the listener's queue.
    let mut filler = Vec::new();
    loop {
        match std::fs::File::open("/dev/null") {
            Ok(f) => filler.push(f),
            Err(e) => {
                assert_eq!(e.raw_os_error(), Some(libc::EMFILE), "{e}");
                break;
            }
        }
        assert!(filler.len() < 100, "the open-files limit did not hold");
    }
    filler.pop();
    let mut waiting = TcpStream::connect(srv.addr).await.unwrap();
    waiting
        .write_all(b"GET / HTTP/1.1\r\nHost: ruji\r\n\r\n")
        .await
        .unwrap();
    within("the accept error logged", async {
        while log.lines_with("accepting a connection failed") == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    // Stay out of descriptors a while: a loop that retried at once would burn this thread.
    tokio::time::sleep(Duration::from_secs(2)).await;

    drop(filler);
    rlimit::setrlimit(Resource::NOFILE, soft, hard).unwrap();
    let r = within("the waiting connection served", read_reply(&mut waiting))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    let (cpu1, wall) = (thread_cpu(), t0.elapsed());

    let lines = log.lines_with("accepting a connection failed");
    assert!(
        lines <= 1 + wall.as_secs() as usize / 10 + 1,
        "{lines} lines in {wall:?}:\n{}",
        log.text()
    );
    assert!(log.text().contains("Too many open files"), "{}", log.text());
    match (cpu0, cpu1) {
        (Some(a), Some(b)) => assert!(
            b - a < wall / 2,
            "the server used {:?} of CPU in {wall:?} out of descriptors",
            b - a
        ),
        _ => eprintln!("no /proc/thread-self/schedstat: CPU use not checked"),
    }
}
