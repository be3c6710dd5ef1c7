//! Worker glue: the creation commands ([`Command::CreateOptions`], [`Command::ProposeXml`],
//! [`Command::Create`]) run on the worker's connection, and their answers while
//! disconnected.

use gettextrs::gettext;
use virt::connect::Connect;

use super::{create, create_options, proposed_xml};
use crate::backend::error::BackendError;
use crate::backend::types::VmSummary;
use crate::backend::worker::{Command, Event};

/// How a creation command ended.
pub(crate) enum Served {
    /// Answered through `emit`; the error, if any, for connection-loss detection.
    Answered(Option<BackendError>),
    /// `Create` finished: progress went through `emit`, the result is returned so the
    /// worker can announce the new machine (`VmChanged`) before `Created`.
    Created(Result<VmSummary, BackendError>),
}

/// Run one creation command. Other commands are ignored (`Answered(None)`).
pub(crate) fn serve(conn: &Connect, cmd: Command, emit: &dyn Fn(Event)) -> Served {
    match cmd {
        Command::CreateOptions => {
            let r = create_options(conn);
            let err = r.as_ref().err().cloned();
            emit(Event::CreateOptions(r));
            Served::Answered(err)
        }
        Command::ProposeXml { plan } => {
            let r = proposed_xml(conn, &plan);
            let err = r.as_ref().err().cloned();
            emit(Event::ProposedXml(r));
            Served::Answered(err)
        }
        Command::Create { plan } => Served::Created(create(conn, &plan, &mut |step| {
            emit(Event::CreateProgress(step))
        })),
        _ => Served::Answered(None),
    }
}

/// The immediate answer to a creation command while the connection is down.
pub(crate) fn disconnected(cmd: &Command) -> Option<Event> {
    match cmd {
        Command::CreateOptions => Some(Event::CreateOptions(Err(BackendError::disconnected(
            &gettext("Reading the host's storage and networks"),
        )))),
        Command::ProposeXml { .. } => Some(Event::ProposedXml(Err(BackendError::disconnected(
            &gettext("Preparing the machine's XML"),
        )))),
        Command::Create { .. } => Some(Event::Created(Err(BackendError::disconnected(&gettext(
            "Creating the virtual machine",
        ))))),
        _ => None,
    }
}
