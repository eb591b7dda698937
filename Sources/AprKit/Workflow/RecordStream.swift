/// One database call that answers one jsonb value, and what that answer
/// means: a record's whole transaction in a stream, or a one-shot call.
public struct DatabaseCall {
    public let statement: Statement
    /// Whether the call writes: run alone, it gets its own transaction,
    /// reported once COMMIT is confirmed and retried on serialization
    /// failures and deadlocks; a call that does not is run as it is.
    public let writes: Bool
    /// The outcome of the value the call answered (nil for SQL NULL).
    public let outcome: (String?) throws -> Outcome

    public init(_ statement: Statement, writes: Bool, outcome: @escaping (String?) throws -> Outcome) {
        self.statement = statement
        self.writes = writes
        self.outcome = outcome
    }

    /// Runs the call on its own, in one round trip.
    public func run(on connection: Connection) throws -> Outcome {
        let text: String?
        if writes {
            text = try connection.retrying { () throws(PGError) in
                try connection.transaction([statement])[0].value(0, 0)
            }
        } else {
            text = try connection.execute(statement.sql, statement.params).value(0, 0)
        }
        return try outcome(text)
    }

    /// The outcome of the call's answer in a `TransactionStream`.
    func outcome(of answer: Result<[QueryResult], PGError>) -> Outcome {
        switch answer {
        case .success(let results): return Outcome.catching { try outcome(results.first?.value(0, 0)) }
        case .failure(let error): return .refused(Refusal(error))
        }
    }
}

/// What one stdin record comes to in a stream: an outcome known before the
/// database (a refusal of the record itself), or a call to make.
public enum StreamStep {
    case outcome(Outcome)
    case call(DatabaseCall)

    /// The outcome, given the call's answer in a `TransactionStream` (nil
    /// for an outcome known before the database).
    func outcome(of answer: Result<[QueryResult], PGError>?) -> Outcome {
        switch self {
        case .outcome(let outcome): return outcome
        case .call(let call):
            guard let answer else { return .refused(Refusal("internal_error", "a call was never answered")) }
            return call.outcome(of: answer)
        }
    }

    var isCall: Bool {
        if case .call = self { return true }
        return false
    }

    /// The call `body` makes, or the refusal it throws.
    public static func catching(_ body: () throws -> DatabaseCall) -> StreamStep {
        do {
            return .call(try body())
        } catch {
            return .outcome(Outcome.catching { throw error })
        }
    }
}

/// Streams records to their database calls on one connection, pipelined
/// (see `TransactionStream`): each record's call is its own transaction,
/// and the outcomes come out one per record, in input order. A record
/// refused before the database takes its turn among them.
///
/// Outcomes are handed out as soon as their answers are in, and never held
/// back while the input is waited for: before `next` would block on the
/// reader, every answer still on its way is read and handed out.
public struct RecordStream {
    public let connection: Connection
    public let window: Int

    public init(connection: Connection, window: Int = TransactionStream<StreamStep>.defaultWindow) {
        self.connection = connection
        self.window = window
    }

    /// Reads `reader` to its end; `emit` gets each record's outcome, in
    /// order: `.invalid` items their refusal, records what `step` makes of
    /// them. Returns how many items there were.
    @discardableResult
    public func run(_ reader: inout RecordReader, step: (JSONObject) -> StreamStep, emit: (Outcome) -> Void) -> Int {
        let stream = TransactionStream<StreamStep>(connection: connection, window: window)
        func handOut(waiting: Bool) {
            while let (step, answer) = stream.next(waiting: waiting) { emit(step.outcome(of: answer)) }
        }
        var count = 0
        // Records are read ahead (as far as the input allows without a wait,
        // up to the next call or `window` records) to know whether a call is
        // the last before a wait for input or the end: that one is a flush
        // point, so that its answer and every one before it come out then.
        var ahead: [StreamStep] = []
        var ended = false
        var streamed = false
        func readAhead(waiting: Bool) -> Bool {
            guard !ended, waiting || reader.hasInputReady else { return false }
            guard let item = reader.next() else {
                ended = true
                return false
            }
            count += 1
            switch item {
            case .invalid(let refusal): ahead.append(.outcome(.refused(refusal)))
            case .record(let record): ahead.append(step(record))
            }
            return true
        }
        while true {
            if ahead.isEmpty {
                if !reader.hasInputReady { handOut(waiting: true) }
                guard readAhead(waiting: true) else { break }
            }
            let next = ahead.removeFirst()
            if case .call(let call) = next {
                while !ahead.contains(where: \.isCall), ahead.count < window, readAhead(waiting: false) {}
                if !streamed, ended, !ahead.contains(where: \.isCall) {
                    // The input's one call: made alone, as with --apr, it
                    // costs no round trips to set the stream up and down.
                    handOut(waiting: true)
                    emit(Outcome.catching { try call.run(on: connection) })
                    continue
                }
                streamed = true
                stream.submit(next, [call.statement], flushPoint: !ahead.contains(where: \.isCall))
            } else {
                stream.submit(next, nil)
            }
            handOut(waiting: false)
            while stream.isFull, let (step, answer) = stream.next(waiting: true) { emit(step.outcome(of: answer)) }
        }
        handOut(waiting: true)
        return count
    }
}
