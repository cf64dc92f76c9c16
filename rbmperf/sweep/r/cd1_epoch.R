# A plain, vectorised CD-1 epoch in R, written the way the blog's R port is: whole-matrix
# products (%*%, t()), a sigmoid over matrices, runif() draws, momentum mini-batch updates.
# Nothing is tuned: it runs on whatever BLAS this R links (R's reference BLAS by default).
#
# Run by rbmperf (rbmperf/sweep/r_peer.py) as a child process that serves one command per
# line on stdin and answers one line on stdout, so that R starts once and times its own
# epochs: start-up, data loading and parsing are never inside a timed region.
#
#   load PATH N V        data: N x V doubles, row-major, little-endian        -> ok
#   init PATH H V SEED   weights W (H x V, row-major); biases, speeds zero;
#                        set.seed(SEED)                                      -> ok
#   epoch B LR MOMENTUM  one epoch over the data in mini-batches of B rows,
#                        timed by proc.time()                                -> done WALL CPU
#   save PATH            W, hidden bias, visible bias as doubles (row-major)  -> ok
#   cd1 PATH B H V       gradient for W, biases, v0 and three uniform blocks
#                        read from PATH, written to PATH.out                 -> ok
#   quit
# A failed command answers "error MESSAGE".

sigmoid <- function(x) 1 / (1 + exp(-x))

# CD-1 gradient for a mini-batch v0_probs (b x V); W is H x V. A unit is on where its
# probability is greater than its uniform.
cd1_gradient <- function(W, hidden_bias, visible_bias, v0_probs, u_v0, u_h0, u_v1) {
  b <- nrow(v0_probs)
  v0 <- (v0_probs > u_v0) + 0
  h0_probs <- sigmoid(v0 %*% t(W) + rep(hidden_bias, each = b))
  h0 <- (h0_probs > u_h0) + 0
  v1_probs <- sigmoid(h0 %*% W + rep(visible_bias, each = b))
  v1 <- (v1_probs > u_v1) + 0
  h1_probs <- sigmoid(v1 %*% t(W) + rep(hidden_bias, each = b))
  list(
    W = (t(h0) %*% v0 - t(h1_probs) %*% v1) / b,
    hidden_bias = colMeans(h0 - h1_probs),
    visible_bias = colMeans(v0_probs - v1_probs)
  )
}

# One epoch of momentum mini-batch gradient descent: speed <- momentum * speed + gradient;
# param <- param + learning_rate * speed, after every mini-batch (the last may be short).
cd1_epoch <- function(X, model, batch_size, learning_rate, momentum) {
  n <- nrow(X)
  n_visible <- ncol(X)
  n_hidden <- nrow(model$W)
  for (start in seq(1, n, by = batch_size)) {
    rows <- start:min(n, start + batch_size - 1)
    batch <- X[rows, , drop = FALSE]
    b <- length(rows)
    gradient <- cd1_gradient(
      model$W, model$hidden_bias, model$visible_bias, batch,
      matrix(runif(b * n_visible), b, n_visible),
      matrix(runif(b * n_hidden), b, n_hidden),
      matrix(runif(b * n_visible), b, n_visible)
    )
    for (name in c("W", "hidden_bias", "visible_bias")) {
      speed <- momentum * model$speed[[name]] + gradient[[name]]
      model$speed[[name]] <- speed
      model[[name]] <- model[[name]] + learning_rate * speed
    }
  }
  model
}

read_doubles <- function(path, count) {
  connection <- file(path, "rb")
  on.exit(close(connection))
  values <- readBin(connection, "double", n = count, size = 8, endian = "little")
  if (length(values) != count) stop(sprintf("%s holds %d values, not %d", path, length(values), count))
  values
}

read_matrix <- function(values, n_rows, n_columns) matrix(values, n_rows, n_columns, byrow = TRUE)

write_doubles <- function(path, ...) {
  connection <- file(path, "wb")
  on.exit(close(connection))
  for (block in list(...)) {
    if (is.matrix(block)) block <- t(block)  # row-major, as numpy reads it
    writeBin(as.double(block), connection, size = 8, endian = "little")
  }
}

reply <- function(text) {
  cat(text, "\n", sep = "")
  flush(stdout())
}

serve <- function() {
  data <- NULL
  model <- NULL
  input <- file("stdin", "r")
  blas <- tryCatch(extSoftVersion()[["BLAS"]], error = function(e) "")
  if (!nzchar(blas)) blas <- "unknown"
  reply(sprintf("ready %s|%s", paste(R.version$major, R.version$minor, sep = "."), blas))
  repeat {
    line <- readLines(input, n = 1)
    if (length(line) == 0) break
    words <- strsplit(line, " ", fixed = TRUE)[[1]]
    command <- words[1]
    if (command == "quit") break
    answer <- tryCatch({
      if (command == "load") {
        n <- as.integer(words[3]); v <- as.integer(words[4])
        data <- read_matrix(read_doubles(words[2], n * v), n, v)
        "ok"
      } else if (command == "init") {
        h <- as.integer(words[3]); v <- as.integer(words[4])
        W <- read_matrix(read_doubles(words[2], h * v), h, v)
        model <- list(
          W = W, hidden_bias = numeric(h), visible_bias = numeric(v),
          speed = list(W = W * 0, hidden_bias = numeric(h), visible_bias = numeric(v))
        )
        set.seed(as.integer(words[5]))
        "ok"
      } else if (command == "epoch") {
        if (is.null(data) || is.null(model)) stop("load data and init a model first")
        began <- proc.time()
        model <- cd1_epoch(data, model, as.integer(words[2]), as.numeric(words[3]),
                           as.numeric(words[4]))
        took <- proc.time() - began
        sprintf("done %.6f %.6f", took[["elapsed"]], took[["user.self"]] + took[["sys.self"]])
      } else if (command == "save") {
        write_doubles(words[2], model$W, model$hidden_bias, model$visible_bias)
        "ok"
      } else if (command == "cd1") {
        b <- as.integer(words[3]); h <- as.integer(words[4]); v <- as.integer(words[5])
        sizes <- c(h * v, h, v, b * v, b * v, b * h, b * v)
        values <- read_doubles(words[2], sum(sizes))
        part <- split(values, rep(seq_along(sizes), sizes))
        gradient <- cd1_gradient(
          read_matrix(part[[1]], h, v), part[[2]], part[[3]],
          read_matrix(part[[4]], b, v), read_matrix(part[[5]], b, v),
          read_matrix(part[[6]], b, h), read_matrix(part[[7]], b, v)
        )
        write_doubles(paste0(words[2], ".out"), gradient$W, gradient$hidden_bias,
                      gradient$visible_bias)
        "ok"
      } else {
        stop(sprintf("unknown command '%s'", command))
      }
    }, error = function(e) paste("error", gsub("[\r\n]+", " ", conditionMessage(e))))
    reply(answer)
  }
}

serve()
