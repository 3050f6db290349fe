//! Faults queued on the simulator (`amazonq_sim::QueuedFault`): one fault spec (`name[:arg]`)
//! for the next calls of one operation (`chat`, `mcp`, `oidc`, …).

use amazonq_sim::{QueuedFault, SimHandle};

/// `fault` on the next `count` calls of `operation`, whichever account makes them.
pub fn queue(sim: &SimHandle, operation: &str, fault: &str, count: u32) {
    queue_for(sim, None, operation, fault, count);
}

/// `fault` on the next `count` calls of `operation` by `account` (`None`: any account).
pub fn queue_for(sim: &SimHandle, account: Option<&str>, operation: &str, fault: &str, count: u32) {
    sim.queue_fault(QueuedFault {
        faults: vec![fault.to_owned()],
        account: account.map(str::to_owned),
        operation: Some(operation.to_owned()),
        count,
    })
    .unwrap();
}
