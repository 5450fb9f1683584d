/*
 * cli.h — the log's console tools, called from src/main.c:
 *   weir topic create|list|describe|delete, weir produce, weir consume,
 *   weir groups.  argv[0] is the first argument after the command name;
 *   each returns the process exit code (0 ok, 1 failed, 2 bad usage).
 */
#ifndef WEIR_LOG_CLI_H
#define WEIR_LOG_CLI_H

int log_cli_topic(int argc, char **argv);
int log_cli_produce(int argc, char **argv);
int log_cli_consume(int argc, char **argv);
int log_cli_groups(int argc, char **argv);

#endif
