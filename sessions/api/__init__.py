"""The REST API of the sessions app (docs/api.md), one module per subject, the same subjects as
``sessions.services``:

- ``catalog``: the courses with their materials, and the venues;
- ``participants``: the people institutions nominate;
- ``classroom``: sessions (both kinds: read by all, classroom ones made, changed, announced and
  cancelled, on-site ones cancelled) and the reservations of classroom seats;
- ``onsite``: on-site training requests and their scheduling;
- ``trainers``: trainers and their unavailability;
- ``attendance``: the rosters of on-site sessions;
- ``usage``: an institution's right and usage in every program;
- ``shared``: the permission and fields several of them use.

Views check the shape of what comes in and call services and selectors; rules live there. Each
module says who may do what; programme staff do everything. An object of another institution is
404 for every method; on an object the user can see, an action their role may not take is 403.
The routes are ``sessions.api_urls``.
"""
