"""Takes a lock on PATH and holds it until RELEASE_FILE appears; touches READY_FILE once it holds it.
usage: locks-holder.py flock|fcntl PATH READY_FILE RELEASE_FILE"""
import fcntl, os, sys, time
kind, path, ready, release = sys.argv[1:5]
fd = os.open(path, os.O_RDWR)
if kind == "flock":
    fcntl.flock(fd, fcntl.LOCK_EX)
else:
    fcntl.lockf(fd, fcntl.LOCK_EX)
open(ready, "w").close()
while not os.path.exists(release):
    time.sleep(0.2)
os.close(fd)
