//! The fake Bluesky PDS as a contract-suite fake: a logged-in source
//! whose access tokens expire every two searches (so paging refreshes).

use crate::fakes::bluesky::BlueskyFake;

crate::contract_suite!(BlueskyFake);
