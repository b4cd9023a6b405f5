"""The shared town of ``commsim workshop``: one town, a facilitator and one business per participant.

NetLogo's HubNet idea on commsim's model: every participant runs one business of the same
:class:`~sim.core.model.CommunityModel` from their own browser, round by round, while the
facilitator projects the town and the leaderboard. The parts, bottom up:

* :mod:`.levers`: the levers a participant sets (ads, community hours, personalisation,
  partnerships, price), their bounds and units, and the checks within the owner's hours and cash;
* :mod:`.room`: the shared town (:class:`~.room.Room`): joining, decisions, rounds, shocks, and the
  log of what happened in which week;
* :mod:`.views`: what each view shows (leaderboard, a participant's own figures, the charts' series),
  as plain dicts computed once per change;
* :mod:`.drawing`: the town, the charts and the join QR code as SVG;
* :mod:`.debrief`: the counterfactual replays and the results folder;
* :mod:`.server` with :mod:`.pages`: the web server (Starlette, served by uvicorn) and its pages.

Why not the Solara page of ``commsim dashboard``: Solara renders every session's page on the server,
so after each round forty sessions would re-render in Python on the two cores the town runs on, and
every phone would load its several-megabyte front end over the venue's Wi-Fi. Here one town object
with a lock serves small JSON answers that each browser draws itself (a page of about 20 kB), every
request carries the participant's token or the facilitator's key (so who may change what is checked
on each request), and a benchmark can play forty participants over plain HTTP.
"""
