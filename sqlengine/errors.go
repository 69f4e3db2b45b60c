package sqlengine

import "fmt"

// Error is a PostgreSQL error: what the server sends as an ErrorResponse.
// Engines return *Error for every failure a client should see with a specific
// SQLSTATE; the server reports any other error as XX000 internal_error.
type Error struct {
	// Severity is ERROR, FATAL or PANIC; empty means ERROR.
	Severity string
	// Code is the five-character SQLSTATE.
	Code    string
	Message string
	Detail  string
	Hint    string
	// Position is the 1-based character offset in the query text the error
	// refers to, 0 when none.
	Position int32
	// Err is the underlying cause, if any, for logs and errors.Is.
	Err error
}

// Errorf returns an *Error with the given SQLSTATE and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string { return e.Message + " (SQLSTATE " + e.Code + ")" }

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Notice is a NoticeResponse: a message that does not end the statement.
type Notice struct {
	// Severity is NOTICE, WARNING, INFO, DEBUG or LOG.
	Severity string
	Code     string
	Message  string
	Detail   string
	Hint     string
}

// SQLSTATE codes pqsql uses.
const (
	CodeSuccessfulCompletion         = "00000"
	CodeWarning                      = "01000"
	CodeConnectionException          = "08000"
	CodeProtocolViolation            = "08P01"
	CodeFeatureNotSupported          = "0A000"
	CodeInvalidParameterValue        = "22023"
	CodeInvalidTextRepresentation    = "22P02"
	CodeDivisionByZero               = "22012"
	CodeNumericValueOutOfRange       = "22003"
	CodeInvalidDatetimeFormat        = "22007"
	CodeDatetimeFieldOverflow        = "22008"
	CodeStringDataRightTruncation    = "22001"
	CodeNotNullViolation             = "23502"
	CodeActiveSQLTransaction         = "25001"
	CodeNoActiveSQLTransaction       = "25P01"
	CodeInFailedSQLTransaction       = "25P02"
	CodeInvalidSQLStatementName      = "26000"
	CodeInvalidAuthorization         = "28000"
	CodeInvalidPassword              = "28P01"
	CodeInvalidCursorName            = "34000"
	CodeInvalidCatalogName           = "3D000"
	CodeInvalidSchemaName            = "3F000"
	CodeSyntaxError                  = "42601"
	CodeInsufficientPrivilege        = "42501"
	CodeUndefinedColumn              = "42703"
	CodeUndefinedFunction            = "42883"
	CodeUndefinedTable               = "42P01"
	CodeUndefinedObject              = "42704"
	CodeAmbiguousColumn              = "42702"
	CodeDatatypeMismatch             = "42804"
	CodeGroupingError                = "42803"
	CodeUndefinedParameter           = "42P02"
	CodeSerializationFailure         = "40001"
	CodeTooManyConnections           = "53300"
	CodeOutOfMemory                  = "53200"
	CodeProgramLimitExceeded         = "54000"
	CodeObjectNotInPrerequisiteState = "55000"
	CodeQueryCanceled                = "57014"
	CodeAdminShutdown                = "57P01"
	CodeInternalError                = "XX000"
	CodeDataCorrupted                = "XX001"
)
