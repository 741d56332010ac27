// Loaded (node --import) into the process the launcher starts (see runWithNode in
// node-runtime.js), before its own code: the launcher gives it an IPC channel whose only use
// is to close when the launcher ends. A launcher killed outright (SIGKILL, a crash, a CI
// runner killing the process it started) cannot forward anything, so its end is taken as a
// SIGTERM: a run stops k6, the fault timeline and the topology and writes its journal, and a
// process with no handler for SIGTERM ends as it would on one. No polling: the channel's end
// is an event. The channel is unref'd so that it never keeps the process alive by itself.
if (process.channel) {
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  process.channel.unref();
}
