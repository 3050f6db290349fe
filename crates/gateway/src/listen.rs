//! The client-facing listener that [`crate::serve`] accepts on.
//!
//! Every accepted connection sends each write at once (`TCP_NODELAY`). A streamed answer is a run
//! of small writes paced by the upstream (one SSE event per upstream frame); with Nagle's algorithm
//! on, each of them waits until the client has acknowledged the one before, and clients delay
//! their ACKs (up to 40 ms on Linux, a round trip more across a network), so tokens would arrive
//! in bursts. axum's `serve` leaves the option off; the simulator and the benchmark's B0 proxy set
//! it too.

use axum::serve::{ListenerExt as _, TapIo};
use tokio::net::{TcpListener, TcpStream};

/// What [`client_listener`] returns: a concrete type, so axum's `ConnectInfo<SocketAddr>` still
/// applies to it.
pub type ClientListener = TapIo<TcpListener, fn(&mut TcpStream)>;

/// `listener`, setting `TCP_NODELAY` on every connection it accepts.
pub fn client_listener(listener: TcpListener) -> ClientListener {
    listener.tap_io(no_delay as fn(&mut TcpStream))
}

fn no_delay(tcp: &mut TcpStream) {
    if let Err(e) = tcp.set_nodelay(true) {
        // The connection still works, only with Nagle's algorithm on.
        tracing::debug!(error = %e, "setting TCP_NODELAY on a client connection");
    }
}

#[cfg(test)]
mod tests {
    use axum::serve::Listener as _;

    use super::*;

    /// A connection accepted through the listener `serve` uses has Nagle's algorithm off (a plain
    /// accepted socket on Linux has it on, which the first assertion pins).
    #[tokio::test]
    async fn accepted_connections_have_nodelay() {
        let plain = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = plain.local_addr().expect("addr");
        let _c1 = TcpStream::connect(addr).await.expect("connect");
        let (s1, _) = plain.accept().await.expect("accept");
        assert!(
            !s1.nodelay().expect("nodelay"),
            "the kernel default is Nagle on"
        );

        let mut listener = client_listener(plain);
        let _c2 = TcpStream::connect(addr).await.expect("connect");
        let (s2, _) = listener.accept().await;
        assert!(s2.nodelay().expect("nodelay"));
    }
}
