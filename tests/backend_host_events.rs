//! Pools and networks changed behind the app's back (here: straight through libvirt on
//! the worker's connection, as virsh would) reach the pages as fresh lists, without the
//! app asking: the worker listens to libvirt's pool and network lifecycle events.

mod common;

use kvm_manager::backend::networks::NetworkEvent;
use kvm_manager::backend::storage::StorageEvent;
use kvm_manager::backend::Event;

use common::{spawn, states_uri};

const NET_XML: &str = "<network><name>outside-net</name>\
    <ip address='10.77.0.1' netmask='255.255.255.0'/></network>";

fn pool_xml(path: &str) -> String {
    format!("<pool type='dir'><name>outside-pool</name><target><path>{path}</path></target></pool>")
}

fn lists_network(e: &Event, name: &str) -> bool {
    matches!(e, Event::Network(NetworkEvent::List(Ok(l))) if l.iter().any(|n| n.name == name))
}

fn lists_pool(e: &Event, name: &str) -> bool {
    matches!(e, Event::Storage(StorageEvent::Pools(Ok(l))) if l.iter().any(|p| p.name == name))
}

#[test]
fn a_network_defined_and_removed_elsewhere_shows_up_and_goes() {
    let c = spawn(&states_uri());
    c.list();
    c.handle.run_on_connection(|conn| {
        let net = conn.define_network_xml(NET_XML).unwrap();
        net.create().unwrap();
    });
    c.wait_for("a list with outside-net", |e| {
        lists_network(e, "outside-net")
    });
    c.handle.run_on_connection(|conn| {
        let net = conn.lookup_network_by_name("outside-net").unwrap();
        net.destroy().unwrap();
        net.undefine().unwrap();
    });
    c.wait_for("a list without outside-net", |e| {
        matches!(e, Event::Network(NetworkEvent::List(Ok(l)))
            if !l.iter().any(|n| n.name == "outside-net"))
    });
}

#[test]
fn a_pool_defined_and_started_elsewhere_shows_up_active() {
    let dir = tempfile::tempdir().unwrap();
    let xml = pool_xml(dir.path().to_str().unwrap());
    let c = spawn(&states_uri());
    c.list();
    c.handle.run_on_connection(move |conn| {
        conn.define_storage_pool_xml(&xml, 0).unwrap();
    });
    c.wait_for("a list with outside-pool", |e| {
        lists_pool(e, "outside-pool")
    });
    c.handle.run_on_connection(|conn| {
        conn.lookup_storage_pool_by_name("outside-pool")
            .unwrap()
            .create(0)
            .unwrap();
    });
    c.wait_for("outside-pool active", |e| {
        matches!(e, Event::Storage(StorageEvent::Pools(Ok(l)))
            if l.iter().any(|p| p.name == "outside-pool" && p.active))
    });
}
