//! Loopback probes of the in-process gateway: `GET /healthz` (ADMIN_API.md §Operations) over a
//! plain TCP connection, and the admin-password state read from the gateway's own store.
//!
//! Why a hand-written HTTP/1.1 GET: the target is always `127.0.0.1` over plain HTTP, and one
//! request line does not justify an HTTP client (and its TLS stack) in the desktop build.

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// The status code of a raw HTTP/1.x response, from its first line.
pub fn status_code(response: &[u8]) -> Option<u16> {
    let line_end = response.iter().position(|&b| b == b'\r' || b == b'\n')?;
    let line = std::str::from_utf8(&response[..line_end]).ok()?;
    let mut parts = line.split(' ');
    let version = parts.next()?;
    if !version.starts_with("HTTP/1.") {
        return None;
    }
    parts.next()?.parse().ok()
}

/// True when `GET http://127.0.0.1:<port>/healthz` answers 200 within `timeout`.
pub async fn healthz(port: u16, timeout: Duration) -> bool {
    let probe = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .await?;
        let mut head = Vec::with_capacity(256);
        // The status line is all we need; cap the read in case something else answers.
        (&mut stream).take(4096).read_to_end(&mut head).await?;
        Ok::<_, std::io::Error>(status_code(&head) == Some(200))
    };
    matches!(tokio::time::timeout(timeout, probe).await, Ok(Ok(true)))
}

/// True while the seed admin password is unchanged (the gateway's `must_change_password`).
pub async fn default_password(store: &store::Store) -> Result<bool, store::StoreError> {
    Ok(store.settings().await?.admin_password_hash.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_status_line() {
        assert_eq!(
            status_code(b"HTTP/1.1 200 OK\r\ncontent-type: x\r\n\r\n"),
            Some(200)
        );
        assert_eq!(
            status_code(b"HTTP/1.0 503 Service Unavailable\r\n"),
            Some(503)
        );
        assert_eq!(status_code(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(status_code(b"HTTP/1.1 200"), None, "incomplete line");
        assert_eq!(status_code(b""), None);
    }

    #[tokio::test]
    async fn nothing_listening_is_unhealthy() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        assert!(!healthz(port, Duration::from_secs(2)).await);
    }

    #[tokio::test]
    #[expect(
        clippy::disallowed_methods,
        reason = "a one-shot fake server, joined at the end of the test"
    )]
    async fn a_non_200_answer_is_unhealthy() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 512];
            let _ = s.read(&mut buf).await.unwrap();
            s.write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n")
                .await
                .unwrap();
        });
        assert!(!healthz(port, Duration::from_secs(2)).await);
        server.await.unwrap();
    }
}
