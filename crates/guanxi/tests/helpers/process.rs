//! The `guanxi` binary as a child process: commands run to completion, and `serve` kept
//! running for crash and restart tests.

use reqwest::StatusCode;
use std::net::SocketAddr;
use std::sync::Arc;

/// Path of the built `guanxi` binary, for CLI and crash tests.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_guanxi")
}

/// What one finished `guanxi` command printed.
pub struct CliRun {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl CliRun {
    /// The last non-empty line of stdout: where commands print a new secret, alone.
    pub fn last_line(&self) -> &str {
        self.stdout
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default()
    }

    /// Panics with everything the command printed unless it succeeded.
    pub fn success(self) -> Self {
        assert!(
            self.status.success(),
            "guanxi failed ({}):\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Panics unless the command failed with a non-zero exit code.
    pub fn failure(self) -> Self {
        assert!(
            !self.status.success() && self.status.code().is_some(),
            "guanxi should have failed ({}):\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }
}

/// Runs `guanxi --database-url URL ARGS…` to completion (killed if it takes over two minutes).
pub async fn guanxi_cli(database_url: &str, args: &[&str]) -> CliRun {
    guanxi_cli_with(database_url, args, "", &[]).await
}

/// `guanxi_cli` with `stdin` written to the command and `env` added to its environment.
pub async fn guanxi_cli_with(
    database_url: &str,
    args: &[&str],
    stdin: &str,
    env: &[(&str, &str)],
) -> CliRun {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(binary())
        .arg("--database-url")
        .arg(database_url)
        .args(args)
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("guanxi runs");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.as_bytes())
        .await
        .expect("write stdin");
    drop(input);
    let output = tokio::time::timeout(
        std::time::Duration::from_secs(120),
        child.wait_with_output(),
    )
    .await
    .unwrap_or_else(|_| panic!("guanxi {args:?} did not finish in 120 s"))
    .expect("guanxi runs");
    CliRun {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `guanxi serve --listen 127.0.0.1:0` as a child process. Dropping it kills it (SIGKILL on
/// unix) and reaps it, also when a test panics.
pub struct ServeProcess {
    child: std::process::Child,
    /// Where the server said it is listening.
    pub addr: SocketAddr,
    stderr: Arc<std::sync::Mutex<String>>,
}

impl ServeProcess {
    /// Starts the server and returns once it printed its URL and `/readyz` answers 200
    /// (polled every 20 ms, 20 s at most).
    pub async fn start(database_url: &str) -> Self {
        use std::io::BufRead;
        let mut child = std::process::Command::new(binary())
            .args([
                "--database-url",
                database_url,
                "serve",
                "--listen",
                "127.0.0.1:0",
            ])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("guanxi serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(std::sync::Mutex::new(String::new()));
        let mut process = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            stderr: log.clone(),
        };
        // Both pipes are drained for the whole life of the process so it never blocks on them.
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
                if log.len() < 64 * 1024 {
                    log.push_str(&line);
                    log.push('\n');
                }
            }
        });
        let (tx, mut lines) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                let _ = tx.send(line);
            }
        });
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            match tokio::time::timeout_at(deadline, lines.recv()).await {
                Ok(Some(line)) => {
                    if let Some(rest) = line.strip_prefix("Guanxi is ready: http://") {
                        let addr = rest.split('/').next().unwrap_or_default();
                        process.addr = addr
                            .parse()
                            .unwrap_or_else(|_| panic!("cannot parse the address in {line:?}"));
                        break;
                    }
                }
                Ok(None) => panic!(
                    "guanxi serve exited before it was ready:\n{}",
                    process.log()
                ),
                Err(_) => panic!(
                    "guanxi serve did not print its URL within 20 s:\n{}",
                    process.log()
                ),
            }
        }
        let http = reqwest::Client::new();
        loop {
            if let Ok(r) = http.get(process.url("/readyz")).send().await
                && r.status() == StatusCode::OK
            {
                return process;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "/readyz did not answer 200 within 20 s:\n{}",
                process.log()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// What the server wrote to stderr so far (its log), for failure messages.
    pub fn log(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Kills the server without warning (SIGKILL on unix) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
