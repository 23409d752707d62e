//! Handshake frames: the input as a ClientHello, an alert, a ServerHello to a started app and
//! a ClientFinish to a server that answered. None may panic; errors carry documented codes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nextauth_protocol::handshake::{decode_alert, encode_alert, ClientHello};
use nextauth_protocol::params::ParamsTrust;
use nextauth_protocol_fuzz::{check, client_started, server_responded, signed_params};

fuzz_target!(|data: &[u8]| {
    check(ClientHello::decode(data));
    if let Some(code) = check(decode_alert(data)) {
        assert_eq!(encode_alert(code), data);
    }

    let (client, _) = client_started();
    let hash = signed_params().hash();
    check(client.read_server_hello(data, ParamsTrust::EnrolHash(&hash)));

    let (server, _) = server_responded();
    check(server.read_client_finish(data));
});
