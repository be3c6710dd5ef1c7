//! KVM Manager's libvirt network hook: applies the port-forwarding rules kept in a NAT
//! network's metadata with iptables when it starts, removes them when it stops.
//! Installed as /etc/libvirt/hooks/network.d/kvm-manager-port-forward; the logic is in
//! `kvm_manager::backend::portfwd::hook` (unit-tested there).

use std::io::Read;

use kvm_manager::backend::portfwd::hook;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut stdin = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut stdin) {
        eprintln!("kvm-manager-port-forward: cannot read the network XML on stdin: {e}");
    }
    let code = hook::main_with(
        &args,
        &stdin,
        &mut hook::run_iptables,
        &hook::Dirs::default(),
    );
    std::process::exit(code);
}
