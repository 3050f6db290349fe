//! `b0-proxy --listen 127.0.0.1:0 --upstream 127.0.0.1:PORT`: the B0 floor proxy ([`bench::b0`]).
//! Prints `b0-proxy listening on http://ADDR` first; stops on SIGINT/SIGTERM.

use std::io::Write as _;
use std::net::SocketAddr;

use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "b0-proxy",
    about = "Trivial pass-through HTTP proxy (benchmark floor)"
)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    #[arg(long)]
    upstream: SocketAddr,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    writeln!(
        std::io::stdout().lock(),
        "b0-proxy listening on http://{}",
        listener.local_addr()?
    )?;
    let shutdown = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    };
    bench::b0::serve(listener, args.upstream, shutdown).await?;
    Ok(())
}
