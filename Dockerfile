# incidentd container image. Build: docker build -t incidentd .
# (or, with no Docker engine, podman build --isolation=chroot -t incidentd .;
# tests/image_test.sh builds it so and checks it: README "Container").
# Run:   docker run -d --name incidentd --env-file /etc/incidentd/incidentd.env \
#            --ulimit nofile=65536:65536 -p 127.0.0.1:8080:8080 -p 127.0.0.1:8081:8081 \
#            -v incidentd-data:/var/lib/incidentd incidentd
# 8080 is the public listener (the status page: put the TLS proxy in front of it);
# 8081 the internal one (/healthz, /metrics): publish it on the host's loopback or
# a private network for Prometheus only, never on a public address. It is not
# EXPOSEd, so `docker run -P` does not publish it.
# Own configuration: add -v /etc/incidentd/config.toml:/etc/incidentd/config.toml:ro
# (keep [store] path on the volume, [http] listen on 0.0.0.0:8080 and
# internal_listen on 0.0.0.0:8081: inside the container, 127.0.0.1 is the
# container's own loopback, which no scraper reaches).
# Backup: docker exec incidentd incidentd backup /var/lib/incidentd/backup.db \
#            -c /etc/incidentd/config.toml   (README "Deployment")
# The same install script as the README's commands provides the packages;
# its runtime set includes tzdata, where [incident] timezone is looked up.

FROM debian:bookworm-slim AS build
COPY scripts/install-deps.sh /src/scripts/install-deps.sh
RUN /src/scripts/install-deps.sh --build
COPY . /src
RUN cmake -S /src -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DINCIDENTD_TESTS=OFF \
 && cmake --build /build -j "$(nproc)" --target incidentd \
 && /build/bot/incidentd check-config /src/config.example.toml

FROM debian:bookworm-slim
COPY scripts/install-deps.sh /tmp/install-deps.sh
# apt-get clean: the .debs and apt's caches would double the layer on a base
# without the official image's docker-clean hook (a debootstrap base, say).
# The volume's directory is the user's (a new named volume takes its owner and
# mode), without /etc/skel's dotfiles.
RUN /tmp/install-deps.sh --runtime \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /tmp/install-deps.sh \
 && groupadd --system --gid 10001 incidentd \
 && useradd --system --uid 10001 --gid incidentd --home-dir /var/lib/incidentd \
      --no-create-home --shell /usr/sbin/nologin incidentd \
 && install -d -o incidentd -g incidentd -m 0750 /var/lib/incidentd
COPY --from=build /build/bot/incidentd /usr/local/bin/incidentd
COPY config.example.toml /usr/share/doc/incidentd/config.example.toml
# The container's configuration: the example with the database on the data
# volume and both HTTP listeners reachable from outside the container (which
# of them the host publishes, and where, is the `docker run -p` above).
RUN mkdir -p /etc/incidentd \
 && sed -e 's#^path = "var/incidentd.db"#path = "/var/lib/incidentd/incidentd.db"#' \
        -e 's#^listen = "127.0.0.1:8080"#listen = "0.0.0.0:8080"#' \
        -e 's#^internal_listen = "127.0.0.1:8081"#internal_listen = "0.0.0.0:8081"#' \
        /usr/share/doc/incidentd/config.example.toml > /etc/incidentd/config.toml \
 && grep -qx 'path = "/var/lib/incidentd/incidentd.db"' /etc/incidentd/config.toml \
 && grep -qx 'listen = "0.0.0.0:8080"' /etc/incidentd/config.toml \
 && grep -qx 'internal_listen = "0.0.0.0:8081"' /etc/incidentd/config.toml \
 && incidentd check-config /etc/incidentd/config.toml
USER incidentd
WORKDIR /var/lib/incidentd
VOLUME /var/lib/incidentd
EXPOSE 8080
ENTRYPOINT ["incidentd"]
CMD ["run", "-c", "/etc/incidentd/config.toml"]
