//! A real SMTP server for the tests: Python's aiosmtpd, storing what it receives in a Maildir.
//! Needs `GUANXI_TEST_PYTHON` (or `python3`) able to `import aiosmtpd`; without it the tests
//! that need it say why they are skipped.

use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

pub struct SmtpSink {
    pub url: String,
    dir: tempfile::TempDir,
    _server: Child,
}

/// One received message, as the raw text of its headers and body.
pub struct Received {
    pub raw: String,
}

impl Received {
    /// The first value of a header, unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.raw.split("\r\n\r\n").next().unwrap_or(&self.raw);
        let unfolded = head
            .replace("\r\n ", " ")
            .replace("\r\n\t", " ")
            .replace("\n ", " ");
        unfolded.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }
}

impl SmtpSink {
    /// Starts the server, or says why it cannot.
    pub async fn start() -> Result<Self, String> {
        let python = std::env::var("GUANXI_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let probe = Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .output()
            .await;
        if !probe.is_ok_and(|o| o.status.success()) {
            return Err(format!(
                "{python} cannot import aiosmtpd (pip install aiosmtpd)"
            ));
        }
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
            probe.local_addr().map_err(|e| e.to_string())?.port()
        };
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let maildir = dir.path().join("mail");
        let server = Command::new(&python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&maildir)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("aiosmtpd did not start: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if Instant::now() > deadline {
                return Err("aiosmtpd did not listen within 20 s".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Self {
            url: format!("smtp://127.0.0.1:{port}"),
            dir,
            _server: server,
        })
    }

    fn new_mail(&self) -> PathBuf {
        self.dir.path().join("mail").join("new")
    }

    /// What arrived so far.
    pub fn received(&self) -> Vec<Received> {
        let Ok(entries) = std::fs::read_dir(self.new_mail()) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .map(|raw| Received { raw })
            .collect()
    }

    /// Waits until `n` messages arrived (failing after a deadline), then answers them.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {n} messages arrived",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
