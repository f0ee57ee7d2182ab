module github.com/${{ values.org }}/${{ values.name }}

go 1.23
