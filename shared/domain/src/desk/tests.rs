//! Given what happened, when a command comes, then this happens (or this
//! refusal): the desk's rules in the decider style.
