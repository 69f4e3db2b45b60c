package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/pqsql/pqsql/server"
)

func newPasswdCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "passwd",
		Short: "Read a password and print its SCRAM-SHA-256 verifier for the config file",
		Long: `passwd reads a password (from the terminal without echo, asking twice, or else the
first line of standard input) and prints a SCRAM-SHA-256 verifier. Paste it as
the user's password in pqsql.yaml so the file holds no plaintext password:

  users:
    - {name: analyst, password: "SCRAM-SHA-256$4096:...", role: reader}`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			password, err := readPassword(cmd.InOrStdin(), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			verifier, err := server.SCRAMVerifier(password)
			if err != nil {
				return fmt.Errorf("compute verifier: %w", err)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), verifier)
			return err
		},
	}
}

// readPassword reads a password from in. On a terminal it prompts on prompt,
// turns echo off and asks twice; otherwise it reads the first line.
func readPassword(in io.Reader, prompt io.Writer) (string, error) {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fd := int(f.Fd())
		fmt.Fprint(prompt, "Password: ")
		first, err := term.ReadPassword(fd)
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(prompt, "Again: ")
		second, err := term.ReadPassword(fd)
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(first) != string(second) {
			return "", errors.New("passwords do not match")
		}
		if len(first) == 0 {
			return "", errors.New("empty password")
		}
		return string(first), nil
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("empty password: write the password as the first line of standard input")
	}
	return line, nil
}
