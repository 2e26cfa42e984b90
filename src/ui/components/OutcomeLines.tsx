// The outcome of a screen's last action: a message line and an error line (role=alert), each shown only when set; test ids `<prefix>-message` and `<prefix>-error`.
export function OutcomeLines({ message, error, prefix }: { message: string | null | undefined; error: string | null | undefined; prefix: string }) {
  return (
    <>
      {message && (
        <p className="message" data-testid={`${prefix}-message`}>
          {message}
        </p>
      )}
      {error && (
        <p className="error" role="alert" data-testid={`${prefix}-error`}>
          {error}
        </p>
      )}
    </>
  );
}
