//! A `redis-server` per test (feature `test-helpers`): a child process on a free port, killed
//! when dropped, for the Redis session tests of `shared` and bff-web. Without `redis-server` on
//! the PATH, starting one panics with a message saying how to install it.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` child process on a free port of 127.0.0.1.
pub struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    /// Starts one and waits until it answers `PING`.
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot start redis-server ({error}): the Redis session tests need it on the \
                     PATH; install it with `apt-get install -y redis-server`"
                )
            });
        let server = Self { child, port };
        server.wait_for_ping();
        server
    }

    fn wait_for_ping(&self) {
        use std::io::{Read, Write};
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let answered = std::net::TcpStream::connect(("127.0.0.1", self.port))
                .and_then(|mut stream| {
                    stream.set_read_timeout(Some(Duration::from_millis(500)))?;
                    stream.write_all(b"PING\r\n")?;
                    let mut reply = [0_u8; 7];
                    stream.read_exact(&mut reply)?;
                    Ok(&reply == b"+PONG\r\n")
                })
                .unwrap_or(false);
            if answered {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "redis-server on port {} did not answer PING",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
