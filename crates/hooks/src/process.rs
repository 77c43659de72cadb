//! Runs one event program: no shell, its own process group, the torrent's JSON
//! on stdin, stdout and stderr kept (their last [`OUTPUT_LIMIT`] bytes, merged in
//! the order they arrive) and a time limit that ends the whole group.
//!
//! At the time limit the group gets SIGTERM, then SIGKILL when anything of it is
//! still alive [`KILL_GRACE`] later. Once the program has exited (or been killed),
//! output is read for at most [`OUTPUT_GRACE`] more: a process that left the
//! group, or one the program left running in the background, can hold the pipes
//! open, and it does not keep the run going.

use std::ffi::OsString;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use rustix::process::{Pid, Signal, kill_process_group, test_kill_process_group};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::oneshot;
use tokio::time::{Instant, sleep, timeout, timeout_at};

/// The output kept of a run: its last 64 KiB.
pub const OUTPUT_LIMIT: usize = 64 * 1024;
/// How long a timed-out program's group has between SIGTERM and SIGKILL.
pub const KILL_GRACE: Duration = Duration::from_secs(3);
/// How long output is still read once the program has exited.
pub const OUTPUT_GRACE: Duration = Duration::from_secs(2);

/// One program to run, everything decided.
#[derive(Debug)]
pub(crate) struct Invocation {
    pub program: OsString,
    pub args: Vec<OsString>,
    pub env: Vec<(&'static str, OsString)>,
    pub cwd: PathBuf,
    pub stdin: Arc<[u8]>,
    pub time_limit: Duration,
}

/// How a run ended.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    /// Why the program could not be run at all.
    pub error: Option<String>,
    pub output: String,
    pub output_truncated: bool,
}

/// Runs `invocation` to its end and says how it went; never fails.
pub(crate) async fn run(invocation: Invocation) -> Outcome {
    let mut command = Command::new(&invocation.program);
    command
        .args(&invocation.args)
        .env_clear()
        .envs(invocation.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&invocation.cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(err) => {
            let program = crate::invocation::display_os(&invocation.program);
            return Outcome {
                error: Some(format!("cannot start {program}: {err}")),
                ..Outcome::default()
            };
        }
    };
    // The group's id is the program's pid (`process_group(0)`); it stays valid
    // while anything of the group is alive.
    let group = child.id().and_then(|pid| Pid::from_raw(pid as i32));

    let stdin = child
        .stdin
        .take()
        .map(|pipe| tokio::spawn(feed(pipe, invocation.stdin)));
    let (stop_reading, stop) = oneshot::channel();
    let reader = tokio::spawn(collect(child.stdout.take(), child.stderr.take(), stop));

    // A time limit beyond what the clock can count is none (about 136 years).
    let time_limit = invocation
        .time_limit
        .min(Duration::from_secs(u64::from(u32::MAX)));
    let deadline = Instant::now() + time_limit;
    let (status, timed_out) = match timeout_at(deadline, child.wait()).await {
        Ok(status) => (status, false),
        Err(_) => (end_group(&mut child, group).await, true),
    };

    if let Some(feeder) = stdin {
        feeder.abort();
    }
    let output = {
        let mut reader = reader;
        match timeout(OUTPUT_GRACE, &mut reader).await {
            Ok(done) => done.unwrap_or_default(),
            Err(_) => {
                let _ = stop_reading.send(());
                reader.await.unwrap_or_default()
            }
        }
    };

    let (exit_code, signal, error) = match status {
        Ok(status) => (status.code(), status.signal(), None),
        Err(err) => (
            None,
            None,
            Some(format!("cannot wait for the program: {err}")),
        ),
    };
    Outcome {
        exit_code,
        signal,
        timed_out,
        error,
        output_truncated: output.truncated,
        output: output.into_text(),
    }
}

/// Ends the process group of a program that ran out of time: SIGTERM, then
/// SIGKILL when anything of the group is alive [`KILL_GRACE`] later. Returns the
/// program's exit status.
async fn end_group(child: &mut Child, group: Option<Pid>) -> io::Result<ExitStatus> {
    let Some(group) = group else {
        // Already reaped: nothing left to signal through its pid.
        return child.wait().await;
    };
    signal_group(group, Signal::TERM);
    let grace_end = Instant::now() + KILL_GRACE;
    let status = timeout_at(grace_end, child.wait()).await.ok();
    while Instant::now() < grace_end && test_kill_process_group(group).is_ok() {
        sleep(Duration::from_millis(50)).await;
    }
    if test_kill_process_group(group).is_ok() {
        signal_group(group, Signal::KILL);
    }
    match status {
        Some(status) => status,
        None => child.wait().await,
    }
}

fn signal_group(group: Pid, signal: Signal) {
    match kill_process_group(group, signal) {
        Ok(()) => {}
        // Everything of the group has already exited.
        Err(rustix::io::Errno::SRCH) => {}
        Err(err) => tracing::warn!(
            group = group.as_raw_nonzero().get(),
            "cannot signal an event program's process group: {err}"
        ),
    }
}

/// Writes the torrent's JSON to the program's stdin, then closes it. A program
/// that exits without reading it is no error.
async fn feed(mut stdin: ChildStdin, json: Arc<[u8]>) {
    match stdin.write_all(&json).await {
        Ok(()) => {}
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => {}
        Err(err) => tracing::debug!("cannot write an event program's stdin: {err}"),
    }
}

/// Reads stdout and stderr until both end or `stop` fires, keeping the last
/// [`OUTPUT_LIMIT`] bytes of both, in the order they arrive.
async fn collect(
    stdout: Option<impl AsyncRead + Unpin>,
    stderr: Option<impl AsyncRead + Unpin>,
    mut stop: oneshot::Receiver<()>,
) -> OutputTail {
    let mut tail = OutputTail::default();
    let (mut stdout, mut stderr) = (stdout, stderr);
    let mut out_buf = vec![0; 8192];
    let mut err_buf = vec![0; 8192];
    loop {
        let (out_open, err_open) = (stdout.is_some(), stderr.is_some());
        if !out_open && !err_open {
            return tail;
        }
        tokio::select! {
            read = read_some(&mut stdout, &mut out_buf), if out_open => match read {
                Some(n) => tail.push(&out_buf[..n]),
                None => stdout = None,
            },
            read = read_some(&mut stderr, &mut err_buf), if err_open => match read {
                Some(n) => tail.push(&err_buf[..n]),
                None => stderr = None,
            },
            _ = &mut stop => return tail,
        }
    }
}

/// Reads what `pipe` has; `None` at its end (or on an error, which ends it too).
async fn read_some(pipe: &mut Option<impl AsyncRead + Unpin>, buf: &mut [u8]) -> Option<usize> {
    let pipe = pipe.as_mut()?;
    match pipe.read(buf).await {
        Ok(0) | Err(_) => None,
        Ok(n) => Some(n),
    }
}

/// The last [`OUTPUT_LIMIT`] bytes of a run's output.
#[derive(Debug, Default)]
struct OutputTail {
    bytes: std::collections::VecDeque<u8>,
    truncated: bool,
}

impl OutputTail {
    fn push(&mut self, chunk: &[u8]) {
        self.bytes.extend(chunk);
        if self.bytes.len() > OUTPUT_LIMIT {
            let excess = self.bytes.len() - OUTPUT_LIMIT;
            self.bytes.drain(..excess);
            self.truncated = true;
        }
    }

    /// The output as text, invalid UTF-8 replaced; when the start was cut off, a
    /// character cut in two there is dropped rather than shown as garbage.
    fn into_text(self) -> String {
        let bytes = Vec::from(self.bytes);
        let start = if self.truncated {
            bytes
                .iter()
                .take(3)
                .take_while(|b| (**b & 0b1100_0000) == 0b1000_0000)
                .count()
        } else {
            0
        };
        String::from_utf8_lossy(&bytes[start..]).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_keeps_the_last_bytes() {
        let mut tail = OutputTail::default();
        tail.push(&vec![b'a'; OUTPUT_LIMIT - 1]);
        assert!(!tail.truncated);
        tail.push(b"bc");
        assert!(tail.truncated);
        let text = tail.into_text();
        assert_eq!(text.len(), OUTPUT_LIMIT);
        assert!(text.ends_with("abc"));
    }

    #[test]
    fn a_character_cut_at_the_start_is_dropped() {
        let mut tail = OutputTail::default();
        tail.push("é".as_bytes());
        tail.push(&vec![b'x'; OUTPUT_LIMIT - 1]);
        // The first byte of "é" was cut off; its second byte leads the tail.
        assert_eq!(tail.into_text(), "x".repeat(OUTPUT_LIMIT - 1));
    }
}
