"""Pages of the portal, one module per subject, the same subjects as ``sessions.services``:

- ``catalog``: the catalog of courses and the download of their files;
- ``participants``: the institution's participants;
- ``classroom``: announced classroom sessions, applying for seats, the institution's reservations;
- ``onsite``: on-site training requests, and the institution's on-site sessions with their rosters;
- ``attendance``: taking someone off an on-site session's roster;
- ``trainers``: a trainer's work plan and calendar feed;
- ``shared``: the helpers several of them use.

Views read through selectors and write through services only. An official reaches their own
institution's participants, reservations, requests and on-site sessions only: another
institution's row is a 404, never a 403 that would confirm it exists; a trainer reaches their own
sessions only. Every page needs a login except the trainer's calendar feed, whose secret link is
its key. The routes are ``sessions.urls``, which imports these modules.
"""
