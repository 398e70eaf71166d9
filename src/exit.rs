//! The only place an exit code is chosen.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing at or above the gate threshold.
    Pass,
    /// A finding at or above the threshold.
    GateFailed,
    /// The audit could not be completed (usage, unreadable or invalid input).
    Error,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Pass => 0,
            ExitStatus::GateFailed => 1,
            ExitStatus::Error => 2,
        }
    }
}
