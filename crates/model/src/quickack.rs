//! No delayed-ACK stalls on kept-alive connections.
//!
//! A server that writes a response's headers and its first event in two
//! small writes with Nagle's algorithm on (Python's `http.server`, many
//! gateways) holds the second write until the client ACKs the first. On a
//! kept-alive connection the kernel delays that ACK (the connection is in
//! "ping-pong" mode: we sent a request just after receiving a response),
//! by about 40 ms on Linux, on every request after the first: 30 tool calls
//! took 1.3 s instead of 26 ms (docs/performance.md).
//!
//! Once the headers are in, [`ack_now`] sets `TCP_QUICKACK` on the
//! connection: the kernel sends the pending ACK at once and leaves
//! ping-pong mode, so the rest of the response is ACKed as it is read.
//! reqwest does not hand out its sockets, so the connection is found among
//! the process's descriptors by its peer address; setting `TCP_QUICKACK`
//! on another connection to the same server is harmless.

use std::net::SocketAddr;

/// Ask the kernel to ACK what it received from `peer` now (Linux; a no-op
/// elsewhere, where delayed ACKs work differently).
#[cfg(target_os = "linux")]
pub(crate) fn ack_now(peer: SocketAddr) {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<i32>().ok())
        else {
            continue;
        };
        if peer_of(fd) == Some(peer) {
            set_quickack(fd);
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn ack_now(_peer: SocketAddr) {}

/// The peer address of descriptor `fd` if it is a connected TCP socket.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn peer_of(fd: i32) -> Option<SocketAddr> {
    // SAFETY: `getpeername` writes at most `len` bytes into `storage`, a
    // `sockaddr_storage` large enough for any address, and reports the
    // length written. `fd` is a plain number: one closed or reused since it
    // was listed gives an error or another descriptor's peer, which the
    // caller compares, so nothing is assumed about it.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let status = unsafe {
        libc::getpeername(
            fd,
            (&mut storage as *mut libc::sockaddr_storage).cast(),
            &mut len,
        )
    };
    if status != 0 {
        return None;
    }
    match i32::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a `sockaddr_in`.
            let addr: &libc::sockaddr_in =
                unsafe { &*(&storage as *const libc::sockaddr_storage).cast() };
            Some(SocketAddr::from((
                u32::from_be(addr.sin_addr.s_addr).to_be_bytes(),
                u16::from_be(addr.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a `sockaddr_in6`.
            let addr: &libc::sockaddr_in6 =
                unsafe { &*(&storage as *const libc::sockaddr_storage).cast() };
            Some(SocketAddr::from((
                addr.sin6_addr.s6_addr,
                u16::from_be(addr.sin6_port),
            )))
        }
        _ => None,
    }
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn set_quickack(fd: i32) {
    let on: libc::c_int = 1;
    // SAFETY: the option value is a live `c_int` and its size is given; a
    // failure (the descriptor went away) changes nothing and is ignored.
    unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn the_connection_to_a_peer_is_found_by_its_address() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let server = listener.local_addr().unwrap();
        let client = std::net::TcpStream::connect(server).unwrap();
        use std::os::fd::AsRawFd;
        assert_eq!(peer_of(client.as_raw_fd()), Some(server));
        assert_eq!(peer_of(listener.as_raw_fd()), None);
        // Setting it is harmless, and finding it by scanning works.
        ack_now(server);
    }
}
