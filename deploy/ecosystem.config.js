// PM2 process file: `pm2 start deploy/ecosystem.config.js`
module.exports = {
  apps: [
    {
      name: "claude-api",
      script: "./claude-server",
      cwd: "/opt/claude-api",
      instances: 1,
      autorestart: true,
      max_memory_restart: "500M",
      env: { PORT: 62311, NO_BROWSER: "1" },
    },
  ],
};
