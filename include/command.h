/* cwinit run as a command (not PID 1): `cwinit evidence decode|get`. */
#pragma once

/* Returns the process exit status: 0 success, 1 failure, 2 usage error. */
int command_main(int argc, char **argv);
