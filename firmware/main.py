# Runs at power-up on the Pico (and in the simulated device).
import app

app.run()
