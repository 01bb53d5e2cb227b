app_name = "grids"

# The pages arrive with this app's issue.
urlpatterns: list = []
