//! libvirt access. Owns every `virt::Connect`; knows nothing of GTK.
//!
//! Each connection lives on its own worker thread ([`worker`]). The UI sends it
//! [`Command`]s and receives [`Event`]s through a sink closure; every libvirt call
//! (which may block) happens on that thread. Domain lifecycle events and the
//! connection-close callback come from libvirt's event loop, which runs on one
//! process-wide thread ([`event_loop`]) and forwards them to the owning worker.
//!
//! Inside: `callbacks` (FFI registration), `link` (one open connection), `reconnect`
//! (backoff while disconnected), `details` (details + capacities), [`summary`] (list rows),
//! [`lifecycle`] (actions), [`stats`] (bulk resource counters), [`snapshot`] (internal
//! snapshots), [`host`], [`xml`] (domain XML parsing), [`error`] (typed errors),
//! [`edit`] (settings changes: [`VmEdit`] → [`Applied`]) with [`resources`] (vCPUs,
//! memory), [`boot`] (boot order) and [`tags`] (tags in namespaced metadata), [`names`]
//! (the machine name rule).
//!
//! Deleting, cloning and XML (commands handled in `worker_manage`): [`delete`] (plan and
//! delete with storage), [`clone`] (plan and clone with progress and rollback),
//! [`xml_define`] (export, import, the XML editor's read and save), [`disks`] (what backs
//! each disk, who else uses it), [`xml_check`] (well-formedness with line and column),
//! [`xml_edit`] (path-based XML rewriting).
//!
//! Disks on a machine (commands handled in `worker_disks`): [`hotplug`] (attach an existing
//! volume, a new volume or a file, live and/or persistent; detach; change or eject
//! CD-ROM media).
//!
//! Creating machines: [`osinfo`] (the libosinfo OS database: search, ISO detection,
//! recommended resources and devices), [`domain_spec`] (the typed domain model, written
//! with an XML writer) and [`create`] (the wizard's options, plan, proposed XML, and the
//! creation itself with rollback).
//!
//! Storage (commands handled in `worker_storage`): [`storage`] (pools of six types from a
//! typed spec, volumes with the machines that use them, create / delete / clone / grow,
//! upload and download through streams on their own thread).
//! Virtual networks: [`networks`] (list, create with validation, start/stop/autostart,
//! delete, DHCP ranges and static hosts through net-update, leases), served by
//! `worker_networks` (`Command::Network` / `Event::Network`).
//! Port forwarding on NAT networks ([`portfwd`], commands handled in `worker_portfwd`):
//! rules kept in the network's metadata, applied with iptables by a libvirt network hook
//! (the `kvmm-network-hook` binary) that the app installs on request.
//!
//! Monitoring: [`metrics`] (rates from the bulk stats; its `sampler` thread per worker
//! sends `Event::Metrics` ticks, paced by `Command::Metrics`, handled in `worker_metrics`).
//!
//! Consoles: [`graphics`] (a running machine's VNC or SPICE endpoint from its live XML,
//! with sockets from `virDomainOpenGraphicsFD`; `Command::Graphics`, handled in
//! `worker_graphics`).
//! Text consoles: [`serial`] (a domain's serial ports and virtio consoles from its XML;
//! `Command::Serial` opens one as a [`serial::SerialSession`] whose stream runs on the
//! libvirt event-loop thread; handled in `worker_serial`).
//! Thumbnails: [`screenshot`] (a running machine's screen through `virDomainScreenshot`,
//! decoded and scaled down), taken on a thread of its own by `worker_screenshot`
//! (`Command::Screenshot` / `Event::Screenshot`).
//!
//! Guest agents: [`agent`] (our kvm-guest-agent over its virtio-serial channel, with
//! qemu-guest-agent through libvirt where ours is absent; channel lookup and adding,
//! a bounded client, pipelined file transfers), served by `worker_agent`
//! (`Command::Agent` / `Event::Agent`; calls to guests on threads of their own).

pub mod agent;
pub mod boot;
mod callbacks;
pub mod clone;
pub mod create;
pub mod delete;
mod details;
pub mod disks;
pub mod domain_spec;
pub mod edit;
pub mod error;
pub mod event_loop;
pub mod graphics;
pub mod host;
pub mod hotplug;
pub mod lifecycle;
mod link;
pub mod metrics;
pub mod names;
pub mod networks;
pub mod osinfo;
pub mod portfwd;
mod reconnect;
pub mod resources;
pub mod screenshot;
pub mod serial;
pub mod snapshot;
pub mod stats;
pub mod storage;
pub mod summary;
pub mod tags;
pub mod types;
pub mod worker;
mod worker_agent;
mod worker_disks;
mod worker_graphics;
mod worker_manage;
mod worker_metrics;
mod worker_networks;
mod worker_portfwd;
mod worker_screenshot;
mod worker_serial;
mod worker_storage;
pub mod xml;
pub mod xml_check;
pub mod xml_define;
pub mod xml_edit;

pub use boot::BootDevice;
pub use edit::{Applied, VmEdit};
pub use error::{BackendError, ErrorKind};
pub use types::*;
pub use worker::{Command, ConnectionHandle, Event};

/// The URIs tried, in order, when the user gave none.
pub const DEFAULT_URIS: [&str; 2] = ["qemu:///system", "qemu:///session"];

/// The built-in demo connection (libvirt's in-process test driver).
pub const DEMO_URI: &str = "test:///default";
